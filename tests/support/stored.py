"""What a load stored, table by table, for comparing two loads of the same data."""

# Written at load time, so they differ between two loads of the same file.
WRITE_TIMES = {"first_seen", "last_updated", "stored_at"}


def stored_rows(db, tables) -> dict:
    """Every row of each table but its write times, in a stable order."""
    found = {}
    for table in tables:
        columns = [c for c in db[table].columns_dict if c not in WRITE_TIMES]
        found[table] = db.execute(f"SELECT {', '.join(columns)} FROM {table} ORDER BY 1, 2, 3").fetchall()
    return found
