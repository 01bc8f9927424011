"""Domain signals of items."""

from django.dispatch import Signal

# kwargs: item (Item) -- sent by the worker when processing finished (succeeded or failed)
item_processed = Signal()
