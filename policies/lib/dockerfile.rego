# METADATA
# title: Dockerfile helpers
# description: |
#   Helpers over Rampart's Dockerfile input: input.stages[i].commands[j] with
#   cmd (lower case), value, flags, original, start_line and end_line.
package lib.dockerfile

# Every instruction of every stage.
commands contains c if {
	some stage in input.stages
	some c in stage.commands
}

# Instructions of the final stage, the one that becomes the image.
final_stage := input.stages[count(input.stages) - 1]

# result points a finding at an instruction's lines.
result(msg, cmd) := {
	"msg": msg,
	"start_line": cmd.start_line,
	"end_line": cmd.end_line,
	"field": upper(cmd.cmd),
}

# file_result is for a finding about the whole Dockerfile (something missing).
file_result(msg) := {"msg": msg, "start_line": 1, "end_line": 1, "field": ""}
