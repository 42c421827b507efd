"""Text analysis of scope: vectors, the placement model with its calibrated threshold, the corrected
out-of-scope share and clustering of out-of-scope texts. No database, no network: both ingest (which
places stored requests) and the dashboard's Scope page (which clusters them) import it.
"""

from scopetext.cluster import Cluster, cluster_texts
from scopetext.model import METHOD_VERSION, OUT_OF_SCOPE, Placement, ScopeModel
from scopetext.share import ShareEstimate

__all__ = [
    "METHOD_VERSION",
    "OUT_OF_SCOPE",
    "Cluster",
    "Placement",
    "ScopeModel",
    "ShareEstimate",
    "cluster_texts",
]
