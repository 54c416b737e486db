"""The Call Center Service (CCS) of seed 003: outbound calling campaigns."""
