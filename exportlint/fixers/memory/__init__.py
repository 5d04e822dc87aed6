"""The fixed-slot memory remedy for the tracker memory pattern (dict-access, dynamic-loop,
variable-length-cat): `slots` applies it; `layout` finds the gathering region and the slots,
`consumer` threads the validity mask into the attention, `tokens` finds which key tokens each
slot owns, `codegen` writes the edits and the wrapper's helpers."""
