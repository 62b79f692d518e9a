"""An access review's evidence package: the PDF, the workbook, and storing both as hashed evidence."""
