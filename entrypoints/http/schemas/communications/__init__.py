"""Communications at the edge (seed 002), one module per concern; the public names are re-exported here.

- fields: the constrained values bodies share (ids, texts, uuids) and how their times are read;
- records: recording, changing and moving one communication, its full and short answers;
- views: its primary info for front ends and its history;
- listing: the list filters, the page asked for and the page answered;
- bulk: setting the status of many at once;
- translations: its ids in other systems;
- methods: the communication methods dictionary.
"""

from entrypoints.http.schemas.communications.bulk import BulkOutcomeOut, BulkStatusIn, RefusalOut, bulk_out
from entrypoints.http.schemas.communications.fields import (
    MAX_COMMUNICATION_ID,
    MAX_REF_ID,
    CommunicationId,
    ExternalId,
    Reason,
    RefId,
    Subject,
    System,
    Text,
    Uuid,
)
from entrypoints.http.schemas.communications.listing import (
    SORT_ALIASES,
    CollectionQuery,
    CommunicationPageOut,
    FilterFields,
    PageFields,
    filters_of,
    page_of,
    page_out,
    page_request,
)
from entrypoints.http.schemas.communications.methods import MethodOut, MethodsOut
from entrypoints.http.schemas.communications.records import (
    CancelIn,
    CloseIn,
    CommunicationIn,
    CommunicationOut,
    CommunicationPatch,
    CommunicationShortOut,
    ExternalIdOut,
    FailIn,
    communication_out,
    short_out,
)
from entrypoints.http.schemas.communications.translations import (
    TranslationIn,
    TranslationOut,
    translation_out,
)
from entrypoints.http.schemas.communications.views import (
    STATUS_NAMES,
    HistoryEntryOut,
    HistoryOut,
    NamedRef,
    PrimaryInfoOut,
    history_out,
    primary_info_out,
)

__all__ = [
    "MAX_COMMUNICATION_ID",
    "MAX_REF_ID",
    "SORT_ALIASES",
    "STATUS_NAMES",
    "BulkOutcomeOut",
    "BulkStatusIn",
    "CancelIn",
    "CloseIn",
    "CollectionQuery",
    "CommunicationId",
    "CommunicationIn",
    "CommunicationOut",
    "CommunicationPageOut",
    "CommunicationPatch",
    "CommunicationShortOut",
    "ExternalId",
    "ExternalIdOut",
    "FailIn",
    "FilterFields",
    "HistoryEntryOut",
    "HistoryOut",
    "MethodOut",
    "MethodsOut",
    "NamedRef",
    "PageFields",
    "PrimaryInfoOut",
    "Reason",
    "RefId",
    "RefusalOut",
    "Subject",
    "System",
    "Text",
    "TranslationIn",
    "TranslationOut",
    "Uuid",
    "bulk_out",
    "communication_out",
    "filters_of",
    "history_out",
    "page_of",
    "page_out",
    "page_request",
    "primary_info_out",
    "short_out",
    "translation_out",
]
