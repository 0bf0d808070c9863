"""The kernel every writer of houses and people shares (sync uploads, desk services): who writes,
an outcome per record, and the checks all record types make. It knows nothing of uploads."""
