"""Code the simulator writes for a code request: one small, plausible sample per language.

The samples are placeholders shaped like real answers (a named function, a docstring or comment
naming the task, a usage line), so that highlighting and the copy button show in local mode.
"""

from __future__ import annotations

import re

LANGUAGES: dict[str, tuple[str, str]] = {
    # spoken name -> (fence tag, display name)
    "python": ("python", "Python"), "javascript": ("javascript", "JavaScript"), "js": ("javascript", "JavaScript"),
    "typescript": ("typescript", "TypeScript"), "ts": ("typescript", "TypeScript"), "go": ("go", "Go"),
    "golang": ("go", "Go"), "rust": ("rust", "Rust"), "java": ("java", "Java"), "bash": ("bash", "Bash"),
    "shell": ("bash", "shell"), "sql": ("sql", "SQL"), "ruby": ("ruby", "Ruby"), "c#": ("csharp", "C#"),
    "c++": ("cpp", "C++"), "html": ("html", "HTML"), "css": ("css", "CSS"),
}
#: A word of a request (letters, digits, apostrophes, hyphens).
WORD = re.compile(r"[\w'-]+")


def cap(s: str) -> str:
    """The first letter in capitals, the rest as written (names keep their case)."""
    return s[:1].upper() + s[1:]


def _identifier(topic: str, style: str) -> str:
    words = [w.lower() for w in WORD.findall(topic) if w.lower() not in LANGUAGES
             and w.lower() not in {"a", "an", "the", "function", "that", "which", "to", "in", "of", "for", "code",
                                   "script", "program", "method", "snippet", "write", "me", "please", "and"}]
    words = [re.sub(r"\W", "", w) for w in words][:3] or ["process", "items"]
    if style == "camel":
        return words[0] + "".join(w.title() for w in words[1:])
    if style == "pascal":
        return "".join(w.title() for w in words)
    return "_".join(words)


def code_sample(tag: str, topic: str) -> str:
    snake, camel, pascal = _identifier(topic, "snake"), _identifier(topic, "camel"), _identifier(topic, "pascal")
    samples = {
        "python": f'def {snake}(items: list[str]) -> list[str]:\n    """{cap(topic)}."""\n    result = []\n'
                  f'    for item in items:\n        if item:\n            result.append(item.strip())\n'
                  f'    return result\n\n\n'
                  f'if __name__ == "__main__":\n    print({snake}([" a ", "", "b"]))',
        "javascript": f"function {camel}(items) {{\n  // {cap(topic)}\n  return items\n    .filter(Boolean)\n"
                      f"    .map((item) => item.trim());\n}}\n\nconsole.log({camel}([' a ', '', 'b']));",
        "typescript": f"export function {camel}(items: string[]): string[] {{\n  // {cap(topic)}\n  return items\n"
                      f"    .filter((item) => item.length > 0)\n    .map((item) => item.trim());\n}}",
        "go": f"package main\n\nimport (\n\t\"fmt\"\n\t\"strings\"\n)\n\n// {pascal} does this: {topic}.\n"
              f"func {pascal}(items []string) []string {{\n\tout := make([]string, 0, len(items))\n"
              f"\tfor _, item := range items {{\n\t\tif s := strings.TrimSpace(item); s != \"\" {{\n"
              f"\t\t\tout = append(out, s)\n\t\t}}\n\t}}\n\treturn out\n}}\n\n"
              f"func main() {{\n\tfmt.Println({pascal}([]string{{\" a \", \"\", \"b\"}}))\n}}",
        "rust": f"/// {cap(topic)}.\nfn {snake}(items: &[&str]) -> Vec<String> {{\n    items\n        .iter()\n"
                f"        .map(|item| item.trim())\n        .filter(|item| !item.is_empty())\n"
                f"        .map(String::from)\n        .collect()\n}}\n\nfn main() {{\n"
                f"    println!(\"{{:?}}\", {snake}(&[\" a \", \"\", \"b\"]));\n}}",
        "java": f"import java.util.List;\n\npublic class {pascal} {{\n    // {cap(topic)}\n"
                f"    public static List<String> run(List<String> items) {{\n        return items.stream()\n"
                f"            .map(String::strip)\n            .filter(s -> !s.isEmpty())\n            .toList();\n"
                f"    }}\n}}",
        "bash": f"#!/usr/bin/env bash\n# {cap(topic)}\nset -euo pipefail\n\n{snake}() {{\n"
                f"  local file=\"$1\"\n  grep -v '^$' \"$file\" | sed 's/^ *//; s/ *$//'\n}}\n\n"
                f"{snake} \"${{1:?usage: $0 FILE}}\"",
        "sql": f"-- {cap(topic)}\nSELECT category,\n       COUNT(*) AS total,\n       AVG(amount) AS average\n"
               f"FROM orders\nWHERE created_at >= DATE '2024-01-01'\nGROUP BY category\nORDER BY total DESC;",
        "ruby": f"# {cap(topic)}\ndef {snake}(items)\n  items.map(&:strip).reject(&:empty?)\nend\n\n"
                f"p {snake}([' a ', '', 'b'])",
        "csharp": f"// {cap(topic)}\npublic static IEnumerable<string> {pascal}(IEnumerable<string> items) =>\n"
                  f"    items.Select(i => i.Trim()).Where(i => i.Length > 0);",
        "cpp": f"// {cap(topic)}\n#include <string>\n#include <vector>\n\nstd::vector<std::string> {snake}("
               f"const std::vector<std::string>& items) {{\n    std::vector<std::string> out;\n"
               f"    for (const auto& item : items) {{\n        if (!item.empty()) out.push_back(item);\n    }}\n"
               f"    return out;\n}}",
        "html": f"<!-- {cap(topic)} -->\n<section class=\"card\">\n  <h2>Title</h2>\n  <p>Some text.</p>\n"
                f"  <button type=\"button\">Continue</button>\n</section>",
        "css": f"/* {cap(topic)} */\n.card {{\n  display: grid;\n  gap: 0.75rem;\n  padding: 1rem;\n"
               f"  border-radius: 8px;\n}}",
    }
    return samples[tag]
