package secretdocs

import (
	"fmt"
	"html"
	"strings"
)

// A page is a list of blocks, rendered as Markdown or HTML. Text may hold
// `code` spans; everything else is literal.
type page struct {
	title  string
	blocks []any
}

type heading struct {
	level int
	text  string
}

type para string

type table struct {
	head []string
	rows [][]string
}

type list []string

func (p *page) h(level int, format string, args ...any) {
	p.blocks = append(p.blocks, heading{level, fmt.Sprintf(format, args...)})
}

func (p *page) p(format string, args ...any) {
	p.blocks = append(p.blocks, para(fmt.Sprintf(format, args...)))
}

func (p *page) table(head []string, rows [][]string) {
	p.blocks = append(p.blocks, table{head, rows})
}

func (p *page) list(items []string) {
	if len(items) > 0 {
		p.blocks = append(p.blocks, list(items))
	}
}

func (p *page) markdown() []byte {
	var b strings.Builder
	for i, bl := range p.blocks {
		if i > 0 {
			b.WriteString("\n")
		}
		switch bl := bl.(type) {
		case heading:
			fmt.Fprintf(&b, "%s %s\n", strings.Repeat("#", bl.level), mdText(oneLine(bl.text)))
		case para:
			fmt.Fprintf(&b, "%s\n", mdText(string(bl)))
		case table:
			row := func(cells []string) {
				esc := make([]string, len(cells))
				for i, c := range cells {
					esc[i] = strings.ReplaceAll(mdText(oneLine(c)), "|", `\|`)
				}
				fmt.Fprintf(&b, "| %s |\n", strings.Join(esc, " | "))
			}
			row(bl.head)
			b.WriteString("|" + strings.Repeat(" --- |", len(bl.head)) + "\n")
			for _, r := range bl.rows {
				row(r)
			}
		case list:
			for _, it := range bl {
				fmt.Fprintf(&b, "- %s\n", mdText(oneLine(it)))
			}
		}
	}
	return []byte(b.String())
}

func (p *page) html() []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>%s</title>\n", html.EscapeString(p.title))
	b.WriteString("<style>body{font-family:sans-serif;max-width:60em;margin:2em auto;padding:0 1em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left;vertical-align:top}code{background:#f4f4f4}</style>\n</head>\n<body>\n")
	for _, bl := range p.blocks {
		switch bl := bl.(type) {
		case heading:
			fmt.Fprintf(&b, "<h%d id=\"%s\">%s</h%d>\n", bl.level, anchor(bl.text), inline(bl.text), bl.level)
		case para:
			fmt.Fprintf(&b, "<p>%s</p>\n", inline(string(bl)))
		case table:
			b.WriteString("<table>\n<tr>")
			for _, h := range bl.head {
				fmt.Fprintf(&b, "<th>%s</th>", inline(h))
			}
			b.WriteString("</tr>\n")
			for _, r := range bl.rows {
				b.WriteString("<tr>")
				for _, c := range r {
					fmt.Fprintf(&b, "<td>%s</td>", inline(c))
				}
				b.WriteString("</tr>\n")
			}
			b.WriteString("</table>\n")
		case list:
			b.WriteString("<ul>\n")
			for _, it := range bl {
				fmt.Fprintf(&b, "<li>%s</li>\n", inline(it))
			}
			b.WriteString("</ul>\n")
		}
	}
	b.WriteString("</body>\n</html>\n")
	return []byte(b.String())
}

// inline escapes text for HTML and turns `code` spans and [text](link)
// links into elements.
func inline(s string) string {
	parts := strings.Split(s, "`")
	var b strings.Builder
	for i, part := range parts {
		if i%2 == 1 && i < len(parts)-1 {
			b.WriteString("<code>" + html.EscapeString(part) + "</code>")
			continue
		}
		if i%2 == 1 {
			b.WriteString("`")
		}
		b.WriteString(links(part))
	}
	return b.String()
}

// links renders [text](target) as a link; anything else is escaped text.
func links(s string) string {
	var b strings.Builder
	for {
		open := strings.Index(s, "[")
		mid := strings.Index(s, "](")
		if open < 0 || mid < open {
			break
		}
		end := strings.Index(s[mid:], ")")
		if end < 0 {
			break
		}
		text, target := s[open+1:mid], s[mid+2:mid+end]
		b.WriteString(html.EscapeString(s[:open]))
		fmt.Fprintf(&b, "<a href=\"%s\">%s</a>", html.EscapeString(target), html.EscapeString(text))
		s = s[mid+end+1:]
	}
	b.WriteString(html.EscapeString(s))
	return b.String()
}

func anchor(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '-', r == '_':
			b.WriteRune(r)
		case r == ' ', r == '/', r == '.':
			b.WriteByte('-')
		}
	}
	return b.String()
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// mdText keeps markup in declarations from rendering as HTML in a Markdown
// viewer: < outside code spans becomes &lt;.
func mdText(s string) string {
	parts := strings.Split(s, "`")
	for i := 0; i < len(parts); i += 2 {
		parts[i] = strings.ReplaceAll(parts[i], "<", "&lt;")
	}
	return strings.Join(parts, "`")
}
