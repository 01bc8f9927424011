"""Domain signals of livestream, sent by services inside their transaction."""

from django.dispatch import Signal

# kwargs: stream (Stream) -- the streamer went live
stream_started = Signal()
