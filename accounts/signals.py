"""Domain signals of accounts. Sent by services inside their transaction.

Receivers (notifications) create rows in the same transaction and publish after commit.
"""

from django.dispatch import Signal

# kwargs: follow (Follow), follower (User), followee (User)
user_followed = Signal()
# kwargs: follower (User), followee (User)
user_unfollowed = Signal()
