package secret

import (
	"bufio"
	"bytes"
	"strconv"
	"strings"
)

// gitleaksIgnoreName is the fingerprint file gitleaks reads at a scan root.
const gitleaksIgnoreName = ".gitleaksignore"

// ignoreSet holds .gitleaksignore fingerprints, in gitleaks' two forms:
// file:rule-id:start-line (anywhere) and commit:file:rule-id:start-line
// (one commit of a history scan).
//
// gitleaks applies the file only inside Detector.AddFinding, which appends
// to the detector's shared findings list; the scanner calls DetectContext
// directly (to stay concurrent and stateless), so it reads the file itself.
type ignoreSet struct {
	global map[string]bool // file:rule:line
	commit map[string]bool // commit:file:rule:line
}

// ignoreProblem is a line of the file that is not a fingerprint.
type ignoreProblem struct {
	Line   int
	Reason string
}

// maxIgnoreLine bounds one entry; a fingerprint is a path, a rule id, a
// number and perhaps a 40-hex commit.
const maxIgnoreLine = 64 << 10

func (s *ignoreSet) has(commit, file, rule string, line int) bool {
	if s == nil {
		return false
	}
	k := file + ":" + rule + ":" + strconv.Itoa(line)
	if s.global[k] {
		return true
	}
	return commit != "" && s.commit[commit+":"+k]
}

// parseGitleaksIgnore reads fingerprints, skipping blank lines and #
// comments; a malformed line is reported and the rest still apply.
func parseGitleaksIgnore(src []byte) (*ignoreSet, []ignoreProblem) {
	set := &ignoreSet{global: map[string]bool{}, commit: map[string]bool{}}
	var problems []ignoreProblem
	sc := bufio.NewScanner(bytes.NewReader(src))
	sc.Buffer(make([]byte, 0, 4096), maxIgnoreLine)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		parts := strings.Split(line, ":")
		var commit string
		switch len(parts) {
		case 3:
		case 4:
			commit, parts = parts[0], parts[1:]
			if commit == "" {
				problems = append(problems, ignoreProblem{n, "empty commit in commit:file:rule-id:line"})
				continue
			}
		default:
			problems = append(problems, ignoreProblem{n, "want file:rule-id:line or commit:file:rule-id:line"})
			continue
		}
		file := strings.TrimPrefix(strings.ReplaceAll(parts[0], `\`, "/"), "./")
		rule := parts[1]
		ln, err := strconv.Atoi(parts[2])
		if file == "" || rule == "" || err != nil || ln < 0 {
			problems = append(problems, ignoreProblem{n, "want a path, a rule id and a line number"})
			continue
		}
		k := file + ":" + rule + ":" + strconv.Itoa(ln)
		if commit == "" {
			set.global[k] = true
		} else {
			set.commit[commit+":"+k] = true
		}
	}
	if err := sc.Err(); err != nil {
		problems = append(problems, ignoreProblem{n + 1, "line too long: " + err.Error()})
	}
	return set, problems
}
