<?php
/**
 * Checks that PHP files stay PHP 7.4 code (the oldest PHP osTicket 1.17 runs
 * on), with Debian's php-parser (nikic/PHP-Parser): the lexer reads them as
 * PHP 7.4 does, and what PHP 8 added to the grammar or the standard library
 * is named with file and line. `php -l` on the PHP 8 here cannot tell.
 *
 *   php scripts/php74-check.php <file or folder> ...
 */
require '/usr/share/php/PhpParser/autoload.php';

use PhpParser\Node;

/** Functions PHP 8 added that a plugin is tempted to use. */
const PHP8_FUNCTIONS = ['str_contains', 'str_starts_with', 'str_ends_with', 'get_debug_type', 'get_resource_id', 'fdiv', 'array_is_list', 'enum_exists'];

/** @return string[] what in this code needs PHP 8, as "line: what" */
function php8Uses(array $ast)
{
    $found = [];
    $say = function (Node $node, $what) use (&$found) {
        $found[] = $node->getStartLine() . ': ' . $what;
    };
    $finder = new PhpParser\NodeFinder();
    foreach ($finder->find($ast, function () { return true; }) as $node) {
        if ($node instanceof Node\Arg && $node->name !== null) {
            $say($node, 'named argument');
        } elseif ($node instanceof Node\Expr\Match_) {
            $say($node, 'match');
        } elseif ($node instanceof Node\Expr\NullsafeMethodCall || $node instanceof Node\Expr\NullsafePropertyFetch) {
            $say($node, 'nullsafe operator ?->');
        } elseif ($node instanceof Node\Expr\Throw_) {
            $say($node, 'throw as an expression');
        } elseif ($node instanceof Node\UnionType || $node instanceof Node\IntersectionType) {
            $say($node, 'union or intersection type');
        } elseif ($node instanceof Node\Param && $node->flags !== 0) {
            $say($node, 'constructor property promotion');
        } elseif ($node instanceof Node\VariadicPlaceholder) {
            $say($node, 'first-class callable syntax');
        } elseif ($node instanceof Node\Stmt\Enum_) {
            $say($node, 'enum');
        } elseif (property_exists($node, 'attrGroups') && $node->attrGroups) {
            $say($node, 'attribute');
        } elseif ($node instanceof Node\FunctionLike && ($node->getReturnType() instanceof Node\Identifier || $node->getReturnType() instanceof Node\Name)
                && in_array(strtolower($node->getReturnType()->toString()), ['mixed', 'never', 'static'], true)) {
            $say($node, 'return type ' . $node->getReturnType()->toString());
        } elseif ($node instanceof Node\Param && $node->type instanceof Node\Identifier && strtolower($node->type->name) === 'mixed') {
            $say($node, 'parameter type mixed');
        } elseif ($node instanceof Node\Expr\FuncCall && $node->name instanceof Node\Name
                && in_array(strtolower($node->name->toString()), PHP8_FUNCTIONS, true)) {
            $say($node, 'function ' . $node->name->toString() . '() (PHP 8)');
        }
    }
    return $found;
}

$lexer = new PhpParser\Lexer\Emulative(['phpVersion' => '7.4']);
$parser = (new PhpParser\ParserFactory())->create(PhpParser\ParserFactory::ONLY_PHP7, $lexer);
$files = [];
foreach (array_slice($argv, 1) as $path) {
    $files = array_merge($files, is_dir($path)
        ? array_keys(iterator_to_array(new RegexIterator(new RecursiveIteratorIterator(new RecursiveDirectoryIterator($path, FilesystemIterator::SKIP_DOTS)), '/\.php$/')))
        : [$path]);
}
$problems = 0;
foreach ($files as $file) {
    try {
        $uses = php8Uses($parser->parse((string) file_get_contents($file)));
    } catch (PhpParser\Error $error) {
        $uses = [$error->getStartLine() . ': not PHP 7.4: ' . $error->getRawMessage()];
    }
    foreach ($uses as $use) {
        fwrite(STDERR, "$file:$use\n");
        $problems++;
    }
}
echo count($files) . ' PHP files checked for PHP 7.4: ' . ($problems ? "$problems problem(s)" : 'fine') . "\n";
exit($problems ? 1 : 0);
