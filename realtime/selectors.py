"""Query pieces every app's selectors share."""

from __future__ import annotations

from django.db.models import Count, IntegerField, Model, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce


def count_of(model: type[Model], field: str) -> Coalesce:
    """A correlated COUNT of `model` rows whose `field` is the outer row: several counters on one
    row without joins multiplying each other."""
    subquery = (
        model._default_manager.filter(**{field: OuterRef("pk")})
        .order_by()
        .values(field)
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(subquery, output_field=IntegerField()), Value(0))
