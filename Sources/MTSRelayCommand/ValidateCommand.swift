import ArgumentParser
import Foundation
import MTSProtocol

/// `mts-relay validate [--kind auto|mts|jackpot-request|jackpot-ticket] FILE...`: checks MTS and
/// jackpot messages against the protocol rules and prints every violation with its JSON path.
///
/// Exit status (``ExitStatus``): 0 when every file is valid, 1 when any is invalid, 64 on a usage
/// error, 66 when a file cannot be read. The arguments are parsed here, with the usage message
/// printed the same way for every usage error.
struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract:
            "Check MTS replies and requests, and jackpot requests and tickets, against the protocol rules.",
        usage: "mts-relay validate [--kind auto|mts|jackpot-request|jackpot-ticket] FILE...",
        discussion: """
            For each FILE prints `FILE: ok (<operation> <content type>)` or `FILE: invalid` followed by one \
            indented `<json path>: <reason>` line per violation. `-` reads standard input. `--kind auto` (the \
            default) tells an MTS envelope from a jackpot request or ticket by its fields.
            Exit status: 0 all valid, 1 any invalid, 64 usage error, 66 unreadable file.
            """
    )

    @Argument(
        parsing: .captureForPassthrough,
        help: ArgumentHelp("[--kind KIND] FILE... (- for standard input)", valueName: "arguments"))
    var arguments: [String] = []

    func run() throws {
        let kind: MessageKind
        let files: [String]
        do {
            (kind, files) = try Self.parse(arguments)
        } catch let error as UsageError {
            FileHandle.standardError.write(Data("mts-relay validate: \(error.message)\n".utf8))
            FileHandle.standardError.write(Data("Usage: \(Self.configuration.usage ?? "")\n".utf8))
            throw ExitStatus.usage
        }
        if files.isEmpty {
            print(Self.helpMessage())
            return
        }
        var anyInvalid = false
        var anyUnreadable = false
        for file in files {
            guard let bytes = Self.read(file) else {
                anyUnreadable = true
                continue
            }
            let report = MessageReport.check(bytes, as: kind)
            anyInvalid = anyInvalid || !report.isValid
            for line in report.lines(file: file) { print(line) }
        }
        if anyUnreadable { throw ExitStatus.noInput }
        if anyInvalid { throw ExitStatus.failure }
    }

    private struct UsageError: Error {
        var message: String
    }

    /// Splits `--kind K`, `--kind=K`, `--` and files; an empty result means help was asked for.
    private static func parse(_ arguments: [String]) throws -> (MessageKind, [String]) {
        var kind = MessageKind.auto
        var files: [String] = []
        var index = 0
        var optionsEnded = false
        func kindValue(_ text: String) throws -> MessageKind {
            guard let kind = MessageKind(rawValue: text) else {
                let allowed = MessageKind.allCases.map(\.rawValue).joined(separator: "|")
                throw UsageError(message: "unknown kind '\(text)', expected \(allowed)")
            }
            return kind
        }
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            if optionsEnded || argument == "-" || !argument.hasPrefix("-") {
                files.append(argument)
            } else if argument == "--" {
                optionsEnded = true
            } else if argument == "--help" || argument == "-h" {
                return (kind, [])
            } else if argument == "--kind" {
                guard index < arguments.count else { throw UsageError(message: "--kind needs a value") }
                kind = try kindValue(arguments[index])
                index += 1
            } else if argument.hasPrefix("--kind=") {
                kind = try kindValue(String(argument.dropFirst("--kind=".count)))
            } else {
                throw UsageError(message: "unknown option '\(argument)'")
            }
        }
        guard !files.isEmpty else { throw UsageError(message: "no FILE given") }
        return (kind, files)
    }

    /// The file's bytes, or nil after telling standard error why it cannot be read.
    private static func read(_ file: String) -> [UInt8]? {
        if file == "-" {
            return [UInt8](FileHandle.standardInput.readDataToEndOfFile())
        }
        do {
            return [UInt8](try Data(contentsOf: URL(fileURLWithPath: file)))
        } catch {
            FileHandle.standardError.write(Data("\(file): cannot read: \(error.localizedDescription)\n".utf8))
            return nil
        }
    }
}
