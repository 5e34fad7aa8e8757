"""Attendees: create, edit, delete and search (``attendees``), the all-or-nothing CSV
import (``importer``), and text typed by people: search folding, whole numbers (``text``)."""
