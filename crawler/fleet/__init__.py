"""Beyond one machine: regional workers on a shared Redis queue, one archive writer (decision 0010)."""
