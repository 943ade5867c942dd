"""The catalog's services over the Grimoire (`registry`): publishing a maker's signed package
(`publishing`), importing vulnerability data and re-scanning what is published (`scans`), and
announcing every change to connected MCP clients and to the other server processes
(`announcements`)."""
