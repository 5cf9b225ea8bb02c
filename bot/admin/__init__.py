"""The staff web at ``/admin``: server-rendered pages over the coopbot.admin services."""
