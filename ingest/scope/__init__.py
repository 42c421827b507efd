"""Scope placement: infer the approved use case of unlabeled requests, or out_of_scope, with a calibrated
threshold, a corrected out-of-scope share and clustering of out-of-scope texts. No database, no network.
"""

from ingest.scope.cluster import Cluster, cluster_texts
from ingest.scope.model import METHOD_VERSION, OUT_OF_SCOPE, Placement, ScopeModel
from ingest.scope.share import ShareEstimate

__all__ = [
    "METHOD_VERSION",
    "OUT_OF_SCOPE",
    "Cluster",
    "Placement",
    "ScopeModel",
    "ShareEstimate",
    "cluster_texts",
]
