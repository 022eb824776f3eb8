import ArtCLI

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

@main
struct Entrypoint {
  static func main() async {
    exit(await ArtCommand.execute(arguments: Array(CommandLine.arguments.dropFirst())))
  }
}
