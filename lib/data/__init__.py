"""IR data: the NIST WebBook client and replay server, JCAMP-DX ingestion and grid, labels."""
