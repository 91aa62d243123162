"""Graph stores: the embedded Ladybug store (embedded.py) and Neo4j (neo4j_store.py, neo4j_sync.py)."""

# Rows per transaction of the Neo4j sync (5000 -> 20000: ~1.5x the relationships/s on a 1M-edge graph): the one
# default of sync_graph and of `python -m graph_loader sync --batch-size` (defined here, not in neo4j_sync, so the
# command line can show it without importing the sync code).
DEFAULT_BATCH = 20000
