<?php
use PHPUnit\Framework\TestCase;

/**
 * osTicket includes the plugin's main file from inside its own methods
 * (Plugin::getImpl, PluginManager::allInstalled): a variable at file level in
 * any plugin file would overwrite theirs ($class) and leave the plugin "defunct".
 */
final class IncludeScopeTest extends TestCase
{
    public function testNoPluginFileUsesAVariableOutsideAFunction()
    {
        $found = [];
        $files = new RecursiveIteratorIterator(new RecursiveDirectoryIterator(__DIR__ . '/../whatsapp', FilesystemIterator::SKIP_DOTS));
        foreach ($files as $file) {
            if ($file->getExtension() === 'php') {
                foreach (self::fileLevelVariables((string) file_get_contents($file->getPathname())) as $line => $name) {
                    $found[] = basename($file->getPathname()) . ":$line $name";
                }
            }
        }
        $this->assertSame([], $found);
    }

    public function testTheCheckFindsAFileLevelLoop()
    {
        $this->assertSame([2 => '$class'], self::fileLevelVariables("<?php\nforeach (['A'] as \$class) {}\nclass B { function f(\$x) { return \$x; } }\n"));
        $this->assertSame([], self::fileLevelVariables("<?php\nif (true) { require_once 'x.php'; }\nfunction g() { \$y = 1; return function () use (\$y) { return \$y; }; }\n"));
    }

    /** @return array line => variable name, for variables not inside a function or class body */
    private static function fileLevelVariables($source)
    {
        $found = [];
        $braces = [];       // one entry per open brace: whether it opened a function or class body
        $scopeNext = false; // a function or class keyword was seen: its body's brace is next
        $inScope = 0;
        foreach (token_get_all($source) as $token) {
            $kind = is_array($token) ? $token[0] : $token;
            if (in_array($kind, [T_FUNCTION, T_CLASS, T_INTERFACE, T_TRAIT], true)) {
                $scopeNext = true;
            } elseif ($kind === '{' || $kind === T_CURLY_OPEN || $kind === T_DOLLAR_OPEN_CURLY_BRACES) {
                $braces[] = $scopeNext && $kind === '{';
                $inScope += end($braces) ? 1 : 0;
                $scopeNext = false;
            } elseif ($kind === '}') {
                $inScope -= array_pop($braces) ? 1 : 0;
            } elseif ($kind === T_VARIABLE && $inScope === 0 && !$scopeNext && $token[1] !== '$this') {
                $found[$token[2]] = $token[1];
            }
        }
        return $found;
    }
}
