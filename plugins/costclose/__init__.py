"""costclose: period-end inventory cost close of a Business Central company."""
