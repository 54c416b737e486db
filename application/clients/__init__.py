"""The receiving side's use cases: projects, clients, groups, channel blocks, bookings, availability."""

from application.clients.blocks import ChannelBlocks
from application.clients.bookings import Availability, BookedClient, Bookings, ClientAvailability
from application.clients.projects_and_clients import ClientGroups, Clients, Membership, Projects

__all__ = [
    "Availability",
    "BookedClient",
    "Bookings",
    "ChannelBlocks",
    "ClientAvailability",
    "ClientGroups",
    "Clients",
    "Membership",
    "Projects",
]
