"""Tests of the MitID simulator."""
