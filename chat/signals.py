"""Domain signals of chat, sent by services inside their transaction."""

from django.dispatch import Signal

# kwargs: message (Message), conversation (Conversation),
#         recipients (list[int]: member ids, sender excluded),
#         viewing (Collection[int]: ids of the users with a chat socket open on the conversation)
message_created = Signal()
