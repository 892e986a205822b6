"""The contract as data: requirement IDs, schemas, the target file, the throttle model,
device info, software statements and the verdict vocabulary. Imports nothing else of the harness."""
