"""Report files built in the background: the risk analysis PDF and the register workbook.

`analysis_pdf` and `register_xlsx` turn records into bytes and write nothing; `jobs` holds the services that
request a report, build it into storage with progress, and record downloads.
"""
