"""Beeline cloud PBX ("Облачная АТС Билайн"): its REST API and the BroadWorks XSI events it posts."""
