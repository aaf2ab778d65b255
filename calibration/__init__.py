"""Calibration material: published targets, the face-validity check and (later) the fitting."""
