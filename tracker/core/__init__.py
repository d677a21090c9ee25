"""What every stage shares: errors, paths, time stamps, links, output files, the database's shape."""
