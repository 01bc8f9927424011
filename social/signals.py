"""Domain signals of social. Sent by services inside their transaction.

The notifications app subscribes with one-line receivers.
"""

from django.dispatch import Signal

# kwargs: like (Like), post (Post), user (User who liked)
post_liked = Signal()
# kwargs: comment (Comment), post (Post) -- a top-level comment on a post
post_commented = Signal()
# kwargs: comment (Comment, the reply), parent (Comment replied to), post (Post)
comment_replied = Signal()
# kwargs: mention (Mention), mentioned (User), author (User), post (Post), comment (Comment | None)
user_mentioned = Signal()
# kwargs: post (Post) -- sent before the row is deleted
post_deleted = Signal()
# kwargs: comment (Comment), post (Post) -- sent before the comment (and its replies) is deleted
comment_deleted = Signal()
