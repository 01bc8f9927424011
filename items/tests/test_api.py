from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tasks_db.models import DBTaskResult
from rest_framework.test import APIClient

from items.models import Item, ItemStatus

pytestmark = pytest.mark.django_db

LIST = "/api/items/"
BULK = "/api/items/bulk/"
BULK_STATUS = "/api/items/bulk/status/"


def detail(pk: int | str) -> str:
    return f"/api/items/{pk}/"


# --- auth ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", LIST),
        ("post", LIST),
        ("get", detail(1)),
        ("delete", detail(1)),
        ("post", BULK),
        ("patch", BULK_STATUS),
        ("post", "/api/items/1/process/"),
    ],
)
def test_anonymous_requests_are_401(api_client: APIClient, method: str, url: str) -> None:
    response = getattr(api_client, method)(url, {}, format="json")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_jwt_bearer_token_is_accepted(api_client: APIClient, make_user: Any, token_for: Any) -> None:
    user = make_user()
    Item.objects.create(owner=user, title="mine")
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(user)}")
    response = api_client.get(LIST)
    assert response.status_code == 200
    assert response.json()["count"] == 1


# --- CRUD and ownership ----------------------------------------------------------------------


def test_create_returns_item_owned_by_caller(make_user: Any, auth_client: Any) -> None:
    user = make_user()
    response = auth_client(user).post(LIST, {"title": "Buy milk", "description": "2 litres"})
    assert response.status_code == 201
    body = response.json()
    assert body["title"] == "Buy milk"
    assert body["status"] == "active"
    assert body["owner"] == user.pk
    assert body["owner_username"] == user.username
    assert Item.objects.get(pk=body["id"]).owner == user


@pytest.mark.parametrize(
    ("payload", "field", "message"),
    [
        ({}, "title", "This field is required."),
        ({"title": "   "}, "title", "This field may not be blank."),
        ({"title": "x" * 201}, "title", "Ensure this field has no more than 200 characters."),
        (
            {"title": "ok", "description": "d" * 5001},
            "description",
            "Ensure this field has no more than 5000 characters.",
        ),
        (
            {"title": "ok", "status": "processed"},
            "status",
            '"processed" is not a status you can set. Allowed: active, inactive, pending.',
        ),
        ({"title": "nul\x00byte"}, "title", "Null characters are not allowed."),
        ({"title": 12}, "title", "Not a valid string."),
        ({"title": "ok", "description": 0}, "description", "Not a valid string."),
    ],
)
def test_create_validation_errors_name_the_field(
    make_user: Any, auth_client: Any, payload: dict[str, Any], field: str, message: str
) -> None:
    response = auth_client(make_user()).post(LIST, payload, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert body["errors"][field] == [message]
    assert body["detail"] == f"{field}: {message}"
    assert not Item.objects.exists()


def test_lone_surrogate_in_json_is_400_not_500(make_user: Any, auth_client: Any) -> None:
    # Valid JSON ("\\ud800" escape) but not storable as UTF-8: DRF's CharField refuses it.
    response = auth_client(make_user()).post(
        LIST, '{"title": "lone \\ud800 surrogate"}', content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["errors"] == {"title": ["Surrogate characters are not allowed: U+D800."]}


def test_users_only_see_their_own_items(make_user: Any, auth_client: Any) -> None:
    alice, bob = make_user(), make_user()
    Item.objects.create(owner=alice, title="alice's")
    Item.objects.create(owner=bob, title="bob's")
    response = auth_client(alice).get(LIST)
    assert [item["title"] for item in response.json()["results"]] == ["alice's"]


@pytest.mark.parametrize(
    ("method", "suffix", "payload"),
    [
        ("get", "", None),
        ("put", "", {"title": "x"}),
        ("patch", "", {"title": "x"}),
        ("delete", "", None),
        ("post", "process/", None),
    ],
)
def test_others_items_are_404(make_user: Any, auth_client: Any, method: str, suffix: str, payload: Any) -> None:
    item = Item.objects.create(owner=make_user(), title="theirs")
    response = getattr(auth_client(make_user()), method)(detail(item.pk) + suffix, payload, format="json")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    item.refresh_from_db()
    assert (item.title, item.status) == ("theirs", "active")


def test_staff_see_and_change_all_items(make_user: Any, auth_client: Any) -> None:
    staff = make_user(is_staff=True)
    item = Item.objects.create(owner=make_user(), title="theirs")
    Item.objects.create(owner=make_user(), title="another")
    client = auth_client(staff)
    assert client.get(LIST).json()["count"] == 2
    assert client.patch(detail(item.pk), {"status": "pending"}, format="json").json()["status"] == "pending"


def test_patch_changes_only_given_fields(make_user: Any, auth_client: Any) -> None:
    user = make_user()
    item = Item.objects.create(owner=user, title="t", description="keep", status=ItemStatus.PENDING)
    response = auth_client(user).patch(detail(item.pk), {"title": "new"}, format="json")
    assert response.status_code == 200
    assert (response.json()["title"], response.json()["description"], response.json()["status"]) == (
        "new",
        "keep",
        "pending",
    )


def test_put_requires_title(make_user: Any, auth_client: Any) -> None:
    user = make_user()
    item = Item.objects.create(owner=user, title="t")
    response = auth_client(user).put(detail(item.pk), {"description": "only"}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == {"title": ["This field is required."]}


def test_delete_removes_item(make_user: Any, auth_client: Any) -> None:
    user = make_user()
    item = Item.objects.create(owner=user, title="t")
    assert auth_client(user).delete(detail(item.pk)).status_code == 204
    assert not Item.objects.filter(pk=item.pk).exists()


@pytest.mark.parametrize("pk", ["99999999999999999999999", "-1", "abc", "0", "9223372036854775807", "0.5", "-6.1e-05"])
def test_odd_ids_in_path_are_404_not_500(make_user: Any, auth_client: Any, pk: str) -> None:
    client = auth_client(make_user())
    for response in (
        client.get(detail(pk)),
        client.patch(detail(pk), {"title": "x"}),
        client.post(f"/api/items/{pk}/process/"),
    ):
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"


# --- list: filter, pagination, queries ---------------------------------------------------------


def test_list_filters_by_status(make_user: Any, auth_client: Any) -> None:
    user = make_user()
    Item.objects.create(owner=user, title="a", status=ItemStatus.ACTIVE)
    Item.objects.create(owner=user, title="p", status=ItemStatus.PENDING)
    Item.objects.create(owner=user, title="f", status=ItemStatus.FAILED)
    client = auth_client(user)
    assert [i["title"] for i in client.get(LIST, {"status": "pending"}).json()["results"]] == ["p"]
    assert [i["title"] for i in client.get(LIST, {"status": "failed"}).json()["results"]] == ["f"]


def test_list_invalid_status_is_400_naming_allowed_values(make_user: Any, auth_client: Any) -> None:
    response = auth_client(make_user()).get(LIST, {"status": "bogus"})
    assert response.status_code == 400
    message = response.json()["errors"]["status"][0]
    assert '"bogus" is not a valid status' in message
    for value in ItemStatus.values:
        assert value in message


def test_list_is_paginated_with_limit_and_offset_newest_first(make_user: Any, auth_client: Any) -> None:
    user = make_user()
    for n in range(5):
        Item.objects.create(owner=user, title=f"item {n}")
    body = auth_client(user).get(LIST, {"limit": 2, "offset": 1}).json()
    assert body["count"] == 5
    assert [i["title"] for i in body["results"]] == ["item 3", "item 2"]
    assert "offset=3" in body["next"]
    assert body["previous"] is not None


def test_list_limit_is_capped_and_huge_offset_is_empty(make_user: Any, auth_client: Any) -> None:
    user = make_user()
    Item.objects.bulk_create([Item(owner=user, title=f"t{n}") for n in range(105)])
    client = auth_client(user)
    assert len(client.get(LIST, {"limit": 1000}).json()["results"]) == 100
    response = client.get(LIST, {"offset": 10**30})
    assert response.status_code == 200
    assert response.json()["results"] == []


@pytest.mark.parametrize("query", [{"offset": "null"}, {"limit": "-1"}, {"limit": "0"}, {"offset": "1.5"}])
def test_list_rejects_malformed_pagination(make_user: Any, auth_client: Any, query: dict[str, str]) -> None:
    response = auth_client(make_user()).get(LIST, query)
    assert response.status_code == 400
    assert set(response.json()["errors"]) == set(query)


def test_list_query_count_does_not_grow_with_items(
    make_user: Any, auth_client: Any, django_assert_max_num_queries: Any
) -> None:
    staff = make_user(is_staff=True)
    owners = [make_user() for _ in range(5)]
    Item.objects.bulk_create([Item(owner=owners[n % 5], title=f"t{n}") for n in range(40)])
    client = auth_client(staff)
    with django_assert_max_num_queries(2):  # COUNT + one SELECT joined with the owner
        response = client.get(LIST, {"limit": 40})
    assert len(response.json()["results"]) == 40
    assert {i["owner_username"] for i in response.json()["results"]} == {o.username for o in owners}


# --- bulk create --------------------------------------------------------------------------------


def test_bulk_create_creates_all_with_one_insert(make_user: Any, auth_client: Any) -> None:
    user = make_user()
    payload = {"items": [{"title": f"n{n}", "status": "pending"} for n in range(30)]}
    with CaptureQueriesContext(connection) as ctx:
        response = auth_client(user).post(BULK, payload, format="json")
    assert response.status_code == 201
    assert response.json()["count"] == 30
    assert len(response.json()["items"]) == 30
    assert {i["owner_username"] for i in response.json()["items"]} == {user.username}
    inserts = [q for q in ctx.captured_queries if q["sql"].startswith('INSERT INTO "items_item"')]
    assert len(inserts) == 1
    assert Item.objects.filter(owner=user, status="pending").count() == 30


def test_bulk_create_error_names_index_and_field_and_creates_nothing(make_user: Any, auth_client: Any) -> None:
    payload = {
        "items": [
            {"title": "ok"},
            {"title": "ok"},
            {"title": "ok"},
            {"description": "no title"},
            {"title": "x", "status": "nope"},
        ]
    }
    response = auth_client(make_user()).post(BULK, payload, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert body["detail"] == "items.3.title: This field is required."
    assert body["errors"]["items"]["3"] == {"title": ["This field is required."]}
    assert set(body["errors"]["items"]["4"]) == {"status"}
    assert set(body["errors"]["items"]) == {"3", "4"}
    assert not Item.objects.exists()


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"items": []}, "This list may not be empty."),
        ({"items": [{"title": "t"}] * 501}, "Ensure this field has no more than 500 elements."),
        ([], "This list may not be empty."),  # the gRTC seed's bare list, validated the same way
        ([{"title": "t"}, {"status": "active"}], "This field is required."),
        ({"items": "nope"}, None),
        ({"items": ["nope"]}, None),
    ],
)
def test_bulk_create_rejects_malformed_bodies(
    make_user: Any, auth_client: Any, payload: Any, message: str | None
) -> None:
    response = auth_client(make_user()).post(BULK, payload, format="json")
    assert response.status_code == 400
    if message:
        assert message in str(response.json()["errors"])
    assert not Item.objects.exists()


def test_bulk_create_with_a_bare_list_answers_the_bare_list(make_user: Any, auth_client: Any) -> None:
    """The gRTC seed's form: `POST /api/items/bulk` (no slash) with `[{...}, ...]` -> `[item, ...]`."""
    user = make_user()
    response = auth_client(user).post(
        "/api/items/bulk", [{"title": "a"}, {"title": "b", "status": "pending"}], format="json"
    )
    assert response.status_code == 201, response.content
    assert [(item["title"], item["status"], item["owner"]) for item in response.json()] == [
        ("a", "active", user.pk),
        ("b", "pending", user.pk),
    ]


# --- bulk status ---------------------------------------------------------------------------------


def test_bulk_status_seed_form_takes_new_status_from_the_query(make_user: Any, auth_client: Any) -> None:
    user = make_user()
    ids = [Item.objects.create(owner=user, title=f"t{n}").pk for n in range(2)]
    client = auth_client(user)
    response = client.patch("/api/items/bulk/status?new_status=inactive", ids, format="json")
    assert response.status_code == 200, response.content
    assert response.json() == {"updated": 2, "ids": ids, "status": "inactive"}
    assert set(Item.objects.values_list("status", flat=True)) == {"inactive"}
    refused = client.patch("/api/items/bulk/status?new_status=processed", ids, format="json")
    assert refused.status_code == 400
    assert "status" in refused.json()["errors"]
    no_status = client.patch("/api/items/bulk/status", ids, format="json")
    assert no_status.status_code == 400
    assert no_status.json()["errors"] == {"new_status": ["Required when the body is the bare list of ids."]}


@pytest.mark.parametrize("method", ["get", "post", "put", "patch", "delete"])
def test_every_method_works_without_the_trailing_slash(make_user: Any, auth_client: Any, method: str) -> None:
    user = make_user()
    item = Item.objects.create(owner=user, title="x")
    client = auth_client(user)
    url = "/api/items" if method in ("get", "post") else f"/api/items/{item.pk}"
    response = getattr(client, method)(url, {"title": "y"}, format="json")
    assert response.status_code in (200, 201, 204), response.content


def test_skip_is_an_alias_of_offset(make_user: Any, auth_client: Any) -> None:
    user = make_user()
    for n in range(3):
        Item.objects.create(owner=user, title=f"t{n}")
    client = auth_client(user)
    everything = [item["id"] for item in client.get("/api/items/?limit=100").json()["results"]]
    assert [item["id"] for item in client.get("/api/items/?skip=1&limit=1").json()["results"]] == everything[1:2]
    assert [item["id"] for item in client.get("/api/items/?skip=1&offset=2").json()["results"]] == everything[2:]
    assert client.get("/api/items/?skip=-1").status_code == 400


def test_bulk_status_updates_own_items(make_user: Any, auth_client: Any) -> None:
    user = make_user()
    items = Item.objects.bulk_create([Item(owner=user, title=f"t{n}") for n in range(3)])
    ids = [i.pk for i in items]
    response = auth_client(user).patch(BULK_STATUS, {"ids": ids, "status": "inactive"}, format="json")
    assert response.status_code == 200
    assert response.json() == {"updated": 3, "ids": ids, "status": "inactive"}
    assert set(Item.objects.values_list("status", flat=True)) == {"inactive"}


def test_bulk_status_with_foreign_ids_is_404_naming_them_and_changes_nothing(make_user: Any, auth_client: Any) -> None:
    user, other = make_user(), make_user()
    mine = Item.objects.create(owner=user, title="mine")
    theirs = Item.objects.create(owner=other, title="theirs")
    response = auth_client(user).patch(
        BULK_STATUS, {"ids": [mine.pk, theirs.pk, 987654321], "status": "inactive"}, format="json"
    )
    assert response.status_code == 404
    assert response.json() == {
        "detail": f"These items do not exist or are not yours: {theirs.pk}, 987654321.",
        "code": "not_found",
    }
    assert set(Item.objects.values_list("status", flat=True)) == {"active"}


@pytest.mark.parametrize(
    "payload",
    [
        {"ids": [2**63], "status": "active"},
        {"ids": [-1], "status": "active"},
        {"ids": ["abc"], "status": "active"},
        {"ids": [], "status": "active"},
        {"ids": [1], "status": "processing"},
        {"ids": [1]},
        {"ids": list(range(1, 502)), "status": "active"},
        {"ids": "1", "status": "active"},
    ],
)
def test_bulk_status_rejects_bad_input_with_400(make_user: Any, auth_client: Any, payload: dict[str, Any]) -> None:
    response = auth_client(make_user()).patch(BULK_STATUS, payload, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"


# --- process ---------------------------------------------------------------------------------------


def test_process_returns_202_with_queued_item_and_enqueues_task(
    make_user: Any, auth_client: Any, django_capture_on_commit_callbacks: Any
) -> None:
    user = make_user()
    item = Item.objects.create(owner=user, title="work")
    with django_capture_on_commit_callbacks(execute=True):
        response = auth_client(user).post(f"/api/items/{item.pk}/process/")
    assert response.status_code == 202
    assert response.json()["status"] == "queued"
    assert response.json()["owner_username"] == user.username
    assert DBTaskResult.objects.filter(task_path="items.tasks.process_item", status="READY").count() == 1


def test_process_twice_is_409(make_user: Any, auth_client: Any) -> None:
    user = make_user()
    item = Item.objects.create(owner=user, title="work")
    client = auth_client(user)
    assert client.post(f"/api/items/{item.pk}/process/").status_code == 202
    response = client.post(f"/api/items/{item.pk}/process/")
    assert response.status_code == 409
    assert response.json() == {"detail": f"Item {item.pk} is already queued.", "code": "already_processing"}


def test_schema_describes_bulk_endpoints(api_client: APIClient) -> None:
    schema = api_client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    bulk = schema["paths"]["/api/items/bulk/"]["post"]
    assert set(bulk["requestBody"]["content"]) == {"application/json"}
    request_schema = schema["components"]["schemas"][
        bulk["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    ]
    assert request_schema["properties"]["items"]["maxItems"] == 500
    status_op = schema["paths"]["/api/items/bulk/status/"]["patch"]
    ref = status_op["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    assert set(schema["components"]["schemas"][ref]["required"]) == {"ids", "status"}
    assert "202" in schema["paths"]["/api/items/{id}/process/"]["post"]["responses"]
