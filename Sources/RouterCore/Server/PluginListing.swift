/// `--list-plugins`: what each table would load, read from the files without starting anything.
public enum PluginListing {
    public static func render(_ config: ServerConfig) -> String {
        var rows: [[String]] = [["NAME", "PLUGIN", "VERSION", "ABI", "ENABLED", "PATH", "NOTE"]]
        for entry in config.plugins {
            do {
                let d = try PluginLoader.load(path: entry.path)
                rows.append([entry.name, d.name, d.version, "\(d.abiMajor).\(d.abiMinor)", entry.enabled ? "yes" : "no",
                             entry.path, d.description])
            } catch {
                rows.append([entry.name, "-", "-", "-", entry.enabled ? "yes" : "no", entry.path, "cannot load: \(error.reason)"])
            }
        }
        let widths = (0..<rows[0].count).map { c in rows.map { $0[c].count }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { i, cell in i == row.count - 1 ? cell : cell + String(repeating: " ", count: max(0, widths[i] - cell.count)) }
                .joined(separator: "  ")
        }.joined(separator: "\n")
    }
}
