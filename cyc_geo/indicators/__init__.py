"""The pilot's 18 construction indicators (附件1): catalogue, actual values and status (catalogue),
exports in the attachment's layout (export) and the dashboard page's tables (dashboard)."""
