"""The close pack (issue 8): BC's reports as CSV, one workbook and one offline HTML page per close."""

from costclose.report.pack import summary_table, write_close_pack

__all__ = ["summary_table", "write_close_pack"]
