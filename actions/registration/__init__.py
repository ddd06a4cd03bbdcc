"""Job-seeker registration (求职登记): the guided conversation over the ledger (ledger/)."""
