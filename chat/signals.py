"""Domain signals of chat, sent by services inside their transaction."""

from django.dispatch import Signal

# kwargs: message (Message), conversation (Conversation),
#         recipients_not_viewing (list[int]: member ids, sender excluded, with no open
#         chat socket for this conversation at send time)
message_created = Signal()
