"""Day-to-day operation: the sync lock, the scheduled job, status, the digest and backups."""
