#!/usr/bin/env node
process.stderr.write('alertmail: not built yet\n')
process.exitCode = 2
