"""The REST API under /api/v1/: a second thin interface over the same services and access rules as the pages.

Each module holds one area's serializers (shape only) and views (access function → service → response).
"""
