package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
	"go.yaml.in/yaml/v3"
)

// maxNodes bounds the values one document may expand to, so that an alias
// bomb ("billion laughs") is an error rather than an out-of-memory crash.
const maxNodes = 1_000_000

// ErrTooComplex is returned for a document over maxNodes values.
var ErrTooComplex = errors.New("document too complex")

// parseError is a YAML error with the line in the whole file.
type parseError struct {
	line int
	msg  string
	err  error // the cause, for errors.Is (ErrTooComplex); may be nil
}

func (e *parseError) Error() string {
	if e.line > 0 {
		return fmt.Sprintf("line %d: %s", e.line, e.msg)
	}
	return e.msg
}

// Line implements scan.LineError.
func (e *parseError) Line() int { return e.line }

// Unwrap returns the cause.
func (e *parseError) Unwrap() error { return e.err }

// Document is one Kubernetes object read from a file.
type Document struct {
	// Index counts documents in the file from 0 (List items count each).
	Index int
	// KindIndex counts the file's earlier documents of the same kind; Helm's
	// template locator uses it to find the document's own "kind:" line.
	KindIndex                         int
	Node                              *yaml.Node // the object's mapping node; lines are file lines
	Value                             ast.Value  // the object as policy input
	Kind, APIVersion, Name, Namespace string
	StartLine, EndLine                int
}

// yamlLine finds "line N" in yaml's error messages.
var yamlLine = regexp.MustCompile(`line (\d+)`)

// docSeparator matches a document start marker at the beginning of a line.
var docSeparator = regexp.MustCompile(`(?m)^---[ \t]*(#.*)?$`)

// readYAMLNodes parses every document of a YAML (or JSON) stream. If the
// stream has a syntax error, it parses each "---"-separated part on its own,
// so that one broken document loses only itself: the errors come back beside
// the documents that did parse.
func readYAMLNodes(src []byte) ([]*yaml.Node, []error) {
	nodes, err := decodeAll(src, 0)
	if err == nil {
		return nodes, nil
	}
	nodes = nodes[:0]
	var errs []error
	offset := 0 // lines before the current part
	parts := splitDocuments(src)
	for _, part := range parts {
		ns, err := decodeAll(part, offset)
		nodes = append(nodes, ns...)
		if err != nil {
			errs = append(errs, err)
		}
		offset += lineBreaks(part)
	}
	return nodes, errs
}

// splitDocuments cuts a stream at document markers, keeping each marker
// with the part it starts so line numbers stay right.
func splitDocuments(src []byte) [][]byte {
	idx := docSeparator.FindAllIndex(src, -1)
	var parts [][]byte
	prev := 0
	for _, m := range idx {
		if m[0] > prev {
			parts = append(parts, src[prev:m[0]])
		}
		prev = m[0]
	}
	return append(parts, src[prev:])
}

// decodeAll decodes a stream; lineOffset shifts node lines and error lines.
func decodeAll(src []byte, lineOffset int) ([]*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(src))
	var nodes []*yaml.Node
	lines := -1 // counted when needed
	for {
		var n yaml.Node
		err := dec.Decode(&n)
		if errors.Is(err, io.EOF) {
			return nodes, nil
		}
		if err != nil {
			return nodes, yamlError(err, lineOffset, lineCount(src))
		}
		// An empty node at the end of the stream ("key:" or "?" on the
		// last line) gets the line after the last one.
		if lines < 0 {
			lines = lineCount(src)
		}
		if lastLine(&n) > lines {
			clampLines(&n, lines)
		}
		if lineOffset != 0 {
			shiftLines(&n, lineOffset)
		}
		nodes = append(nodes, &n)
	}
}

// eachNode calls fn once for every node of a tree (aliases make it a graph).
func eachNode(n *yaml.Node, fn func(*yaml.Node)) {
	seen := map[*yaml.Node]bool{}
	var walk func(*yaml.Node)
	walk = func(n *yaml.Node) {
		if n == nil || seen[n] {
			return
		}
		seen[n] = true
		fn(n)
		for _, c := range n.Content {
			walk(c)
		}
	}
	walk(n)
}

// clampLines moves nodes past the last line onto it.
func clampLines(n *yaml.Node, last int) {
	eachNode(n, func(n *yaml.Node) { n.Line = min(n.Line, last) })
}

// yamlParserProblems are the problems yaml.v3's parser (as opposed to its
// scanner) reports. For those it prints the 0-based line of the mark, one
// less than the line in the file, and no line at all for the first line.
var yamlParserProblems = map[string]bool{
	"did not find expected <stream-start>":   true,
	"did not find expected <document start>": true,
	"did not find expected node content":     true,
	"did not find expected '-' indicator":    true,
	"did not find expected key":              true,
	"did not find expected ',' or ']'":       true,
	"did not find expected ',' or '}'":       true,
	"found duplicate %YAML directive":        true,
	"found duplicate %TAG directive":         true,
	"found incompatible YAML document":       true,
	"found undefined tag handle":             true,
}

// lineBreaks counts line breaks as YAML does: LF, CR, CRLF, NEL, LS, PS.
func lineBreaks(src []byte) int {
	n := 0
	for i := 0; i < len(src); i++ {
		switch c := src[i]; {
		case c == '\n':
			n++
		case c == '\r':
			n++
			if i+1 < len(src) && src[i+1] == '\n' {
				i++
			}
		case c == 0xC2 && i+1 < len(src) && src[i+1] == 0x85: // NEL
			n++
			i++
		case c == 0xE2 && i+2 < len(src) && src[i+1] == 0x80 && (src[i+2] == 0xA8 || src[i+2] == 0xA9): // LS, PS
			n++
			i += 2
		}
	}
	return n
}

// lineCount is the number of lines of src, the last one counted only if it
// has content.
func lineCount(src []byte) int {
	n := lineBreaks(src)
	if len(src) == 0 || !bytes.HasSuffix(src, []byte("\n")) && !bytes.HasSuffix(src, []byte("\r")) {
		n++
	}
	return n
}

// yamlError turns a yaml.v3 error into a parseError with the line in the
// whole file. An error that names no line (an unknown anchor, a problem on
// the first line) points at the first line of the part that failed; one at
// the end of a part, which yaml.v3 puts on the line after the last one,
// points at the part's last line.
func yamlError(err error, lineOffset, lines int) error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 0
	if m := yamlLine.FindStringSubmatch(msg); m != nil && strings.HasPrefix(msg, m[0]) {
		line, _ = strconv.Atoi(m[1])
		msg = strings.TrimPrefix(msg, m[0])
		msg = strings.TrimLeft(msg, ": ")
		if yamlParserProblems[msg] {
			line++
		}
	}
	line = max(1, min(line, lines))
	return &parseError{line: line + lineOffset, msg: "invalid YAML: " + msg}
}

func shiftLines(n *yaml.Node, by int) {
	eachNode(n, func(n *yaml.Node) { n.Line += by })
}

// kubernetesDocuments turns parsed YAML documents into Kubernetes objects:
// mappings with apiVersion and kind. List kinds (v1 List, PodList...) are
// split into their items; the items of a typed list (PodList) may leave out
// kind and apiVersion, which they then take from the list. Other YAML is not
// Kubernetes and is skipped. The documents of one stream share one budget:
// the values written in the stream plus maxNodes more from expanding aliases,
// so that many documents (or List items) that each stay just under the limit
// cannot add up to an out-of-memory crash.
func kubernetesDocuments(nodes []*yaml.Node) ([]Document, []error) {
	var docs []Document
	var errs []error
	budget := maxNodes + countNodes(nodes)
	kinds := map[string]int{}
	add := func(n *yaml.Node, def listDefaults) {
		d, isK8s, err := newDocumentBudget(n, len(docs), def, &budget)
		if err != nil {
			errs = append(errs, err)
			return
		}
		if isK8s {
			d.KindIndex = kinds[d.Kind]
			kinds[d.Kind]++
			docs = append(docs, d)
		}
	}
	for _, root := range nodes {
		n := root
		if n.Kind == yaml.DocumentNode {
			if len(n.Content) == 0 {
				continue
			}
			n = n.Content[0]
		}
		if n.Kind != yaml.MappingNode {
			continue
		}
		kind := scalarField(n, "kind")
		if items := mapValue(n, "items"); strings.HasSuffix(kind, "List") && items != nil && items.Kind == yaml.SequenceNode {
			var def listDefaults // a v1 List's items may be of any kind
			if kind != "List" {
				def = listDefaults{kind: strings.TrimSuffix(kind, "List"), apiVersion: scalarField(n, "apiVersion")}
			}
			for _, item := range items.Content {
				if item = resolveAlias(item); item != nil && item.Kind == yaml.MappingNode {
					add(item, def)
				}
			}
			continue
		}
		add(n, listDefaults{})
	}
	return docs, errs
}

// countNodes counts the nodes of the trees as written, without expanding
// aliases.
func countNodes(roots []*yaml.Node) int {
	n := 0
	stack := slices.Clone(roots)
	for len(stack) > 0 {
		top := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if top == nil {
			continue
		}
		n++
		stack = append(stack, top.Content...)
	}
	return n
}

// listDefaults are what the items of a typed list (PodList) inherit.
type listDefaults struct{ kind, apiVersion string }

func newDocument(n *yaml.Node, index int) (Document, bool, error) {
	budget := maxNodes
	return newDocumentBudget(n, index, listDefaults{}, &budget)
}

func newDocumentBudget(n *yaml.Node, index int, def listDefaults, budget *int) (Document, bool, error) {
	d := Document{
		Index: index, Node: n,
		Kind: scalarField(n, "kind"), APIVersion: scalarField(n, "apiVersion"),
		StartLine: n.Line, EndLine: lastLine(n),
	}
	var inherited []*ast.Term
	if d.Kind == "" && def.kind != "" && mapValue(n, "kind") == nil {
		d.Kind = def.kind
		inherited = append(inherited, ast.StringTerm("kind"), ast.StringTerm(d.Kind))
	}
	if d.APIVersion == "" && def.apiVersion != "" && mapValue(n, "apiVersion") == nil {
		d.APIVersion = def.apiVersion
		inherited = append(inherited, ast.StringTerm("apiVersion"), ast.StringTerm(d.APIVersion))
	}
	if d.Kind == "" || d.APIVersion == "" {
		return d, false, nil
	}
	if md := mapValue(n, "metadata"); md != nil {
		d.Name, d.Namespace = scalarField(md, "name"), scalarField(md, "namespace")
	}
	v, err := toValue(n, budget, 0)
	if err != nil {
		return d, true, &parseError{line: n.Line, msg: fmt.Sprintf("%s %q: %v", d.Kind, d.Name, err), err: err}
	}
	if obj, ok := v.(ast.Object); ok {
		for i := 0; i+1 < len(inherited); i += 2 {
			obj.Insert(inherited[i], inherited[i+1])
		}
	}
	d.Value = v
	return d, true, nil
}

func mapValue(n *yaml.Node, key string) *yaml.Node {
	n = resolveAlias(n)
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return resolveAlias(n.Content[i+1])
		}
	}
	return nil
}

func scalarField(n *yaml.Node, key string) string {
	v := mapValue(n, key)
	if v == nil || v.Kind != yaml.ScalarNode || v.Tag == "!!null" {
		return ""
	}
	return v.Value
}

// toValue converts a YAML node straight to an OPA value, skipping the
// map[string]any detour: faster, and it keeps YAML's own typing (1.10 stays a
// number, "1.10" a string) while merge keys and aliases are resolved within
// a budget.
func toValue(n *yaml.Node, budget *int, depth int) (ast.Value, error) {
	*budget--
	if *budget < 0 {
		return nil, fmt.Errorf("%w: more than %d values after expanding aliases", ErrTooComplex, maxNodes)
	}
	if depth > 1000 {
		return nil, fmt.Errorf("%w: nested deeper than 1000 levels", ErrTooComplex)
	}
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return ast.Null{}, nil
		}
		return toValue(n.Content[0], budget, depth+1)
	case yaml.AliasNode:
		if n.Alias == nil {
			return ast.Null{}, nil
		}
		return toValue(n.Alias, budget, depth+1)
	case yaml.SequenceNode:
		terms := make([]*ast.Term, 0, len(n.Content))
		for _, c := range n.Content {
			v, err := toValue(c, budget, depth+1)
			if err != nil {
				return nil, err
			}
			terms = append(terms, ast.NewTerm(v))
		}
		return ast.NewArray(terms...), nil
	case yaml.MappingNode:
		obj := ast.NewObject()
		if err := addPairs(obj, n, budget, depth); err != nil {
			return nil, err
		}
		return obj, nil
	case yaml.ScalarNode:
		return scalarValue(n), nil
	}
	return ast.Null{}, nil
}

// addPairs adds a mapping's pairs; "<<" merge keys add the merged mapping's
// pairs unless the mapping sets them itself.
func addPairs(obj ast.Object, n *yaml.Node, budget *int, depth int) error {
	var merges []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.Tag == "!!merge" {
			merges = append(merges, v)
			continue
		}
		key, err := keyString(k)
		if err != nil {
			return err
		}
		val, err := toValue(v, budget, depth+1)
		if err != nil {
			return err
		}
		obj.Insert(ast.StringTerm(key), ast.NewTerm(val))
	}
	for _, m := range merges {
		m = resolveAlias(m)
		srcs := []*yaml.Node{m}
		if m != nil && m.Kind == yaml.SequenceNode {
			srcs = m.Content
		}
		for _, s := range srcs {
			s = resolveAlias(s)
			if s == nil || s.Kind != yaml.MappingNode {
				return fmt.Errorf("line %d: merge key needs a mapping", n.Line)
			}
			sub := ast.NewObject()
			if err := addPairs(sub, s, budget, depth+1); err != nil {
				return err
			}
			sub.Foreach(func(k, v *ast.Term) {
				if obj.Get(k) == nil {
					obj.Insert(k, v)
				}
			})
		}
	}
	return nil
}

// keyString renders a mapping key; JSON objects only have string keys, so
// 80: or true: become "80" and "true", as encoding YAML to JSON does.
func keyString(k *yaml.Node) (string, error) {
	k = resolveAlias(k)
	if k == nil || k.Kind != yaml.ScalarNode {
		return "", fmt.Errorf("line %d: mapping keys must be scalars", k.Line)
	}
	return k.Value, nil
}

func scalarValue(n *yaml.Node) ast.Value {
	// Plain strconv instead of n.Decode: this runs for every scalar of every
	// document, and the tag has already been resolved by the parser.
	switch n.ShortTag() {
	case "!!null":
		return ast.Null{}
	case "!!bool":
		if b, err := strconv.ParseBool(strings.ToLower(n.Value)); err == nil {
			return ast.Boolean(b)
		}
	case "!!int":
		v := strings.ReplaceAll(n.Value, "_", "")
		if i, err := strconv.ParseInt(v, 0, 64); err == nil {
			return ast.Number(strconv.FormatInt(i, 10))
		}
		if u, err := strconv.ParseUint(v, 0, 64); err == nil {
			return ast.Number(strconv.FormatUint(u, 10))
		}
	case "!!float":
		if f, err := strconv.ParseFloat(n.Value, 64); err == nil && !math.IsInf(f, 0) && !math.IsNaN(f) {
			return ast.Number(strconv.FormatFloat(f, 'g', -1, 64))
		}
	}
	return ast.String(n.Value)
}
