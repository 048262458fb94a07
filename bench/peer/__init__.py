"""P7: the peer ERP (Tryton 8.2) next to our sales reports, on the same data and backend (docs/peer-bench.md)."""
