#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Checks plugin/'s layers against the CMake graph.

  check_layers.py SOURCE_DIR LAYER_GRAPH

LAYER_GRAPH is what plugin/CMakeLists.txt writes at configure time: one line per layer, "guard:
kernel", naming the layers its library links. A file in plugin/LAYER/ may include headers of its
own layer and of the layers LAYER links, directly or through them; the hook's front (hooks/front*,
hooks/prefilter*) only base and records, the one layer it links. docs/ARCHITECTURE.md's layer table
must name the same links, and tests/unit/plugin/ must hold no folder that is not a layer.
Prints one line per violation and exits 1 when there is any.
"""
import pathlib
import re
import sys

INCLUDE = re.compile(r'^\s*#\s*include\s+"plugin/([^/"]+)/([^"]+)"', re.M)
TABLE_ROW = re.compile(r'^\| `vfiohooks_(\w+)` \| plugin/(\w+)/ \| ([^|]*) \|', re.M)


def read_graph(path):
    graph = {}
    for line in path.read_text().splitlines():
        layer, _, uses = line.partition(':')
        graph[layer.strip()] = set(uses.split())
    return graph


def reachable(graph, layer):
    seen, todo = set(), [layer]
    while todo:
        for lower in graph.get(todo.pop(), ()):
            if lower not in seen:
                seen.add(lower)
                todo.append(lower)
    return seen


def check_includes(source, path, allowed, why, problems):
    for match in INCLUDE.finditer(path.read_text()):
        layer, header = match.groups()
        line = path.read_text().count('\n', 0, match.start()) + 1
        where = f'{path.relative_to(source)}:{line}'
        if not (source / 'plugin' / layer / header).is_file():
            problems.append(f'{where}: includes plugin/{layer}/{header}, which does not exist')
        elif layer not in allowed:
            problems.append(f'{where}: includes plugin/{layer}/{header}, but {why}')


def main():
    source, graph_file = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
    graph = read_graph(graph_file)
    problems = []

    for folder in sorted(p for p in (source / 'plugin').iterdir() if p.is_dir()):
        layer = folder.name
        if layer not in graph:
            problems.append(f'plugin/{layer}/ is not a layer of plugin/CMakeLists.txt')
            continue
        allowed = {layer} | reachable(graph, layer)
        links = ' '.join(sorted(graph[layer])) or 'nothing'
        for path in sorted(folder.glob('*')):
            if path.suffix in ('.h', '.cc'):
                check_includes(source, path, allowed, f'layer {layer} links only {links} '
                               f'(plugin/{layer}/CMakeLists.txt)', problems)

    front_allowed = {'records'} | reachable(graph, 'records')
    for path in sorted((source / 'hooks').glob('*')):
        if path.name.startswith(('front', 'prefilter')) and path.suffix in ('.h', '.cc'):
            check_includes(source, path, front_allowed, 'the front links only vfiohooks_records '
                           '(hooks/CMakeLists.txt)', problems)

    documented = {m[0]: set(re.findall(r'`vfiohooks_(\w+)`', m[2])) for m in
                  TABLE_ROW.findall((source / 'docs' / 'ARCHITECTURE.md').read_text())}
    for layer, uses in sorted(graph.items()):
        if layer not in documented:
            problems.append(f'docs/ARCHITECTURE.md: the layer table has no row for vfiohooks_{layer}')
        elif documented[layer] != uses:
            problems.append(f'docs/ARCHITECTURE.md: vfiohooks_{layer} uses {sorted(documented[layer])} '
                            f'in the layer table, {sorted(uses)} in CMake')
    for layer in sorted(set(documented) - set(graph)):
        problems.append(f'docs/ARCHITECTURE.md: the layer table names vfiohooks_{layer}, which is no layer')

    tests = source / 'tests' / 'unit' / 'plugin'
    for folder in sorted(p for p in tests.iterdir() if p.is_dir()):
        if folder.name not in graph:
            problems.append(f'tests/unit/plugin/{folder.name}/ mirrors no layer of plugin/')

    for problem in problems:
        print(problem)
    print(f'check_layers: {len(graph)} layers, {len(problems)} problems')
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main())
