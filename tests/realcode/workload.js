// A call-heavy script: recursion, closures, objects, strings, arrays.
function fib(n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }
function makeCounter() { var c = 0; return function () { return ++c; }; }
var counter = makeCounter();
for (var i = 0; i < 1000; i++) counter();
print('fib(22) =', fib(22));
print('counter =', counter());
var words = [];
for (var i = 0; i < 2000; i++) words.push('w' + (i * 7919 % 1000));
words.sort();
print('first', words[0], 'last', words[words.length - 1]);
var freq = {};
words.forEach(function (w) { freq[w] = (freq[w] || 0) + 1; });
print('distinct', Object.keys(freq).length);
print('json', JSON.stringify({a: [1, 2, {b: 'c'}], d: null}));
var s = '';
for (var i = 0; i < 200; i++) s += String.fromCharCode(65 + i % 26);
print('regex', (s.match(/ABC/g) || []).length, s.replace(/[AEIOU]/g, '').length);
try { null.x; } catch (e) { print('caught', e.name); }
print('math', Math.floor(Math.sqrt(12345) * 1000), (0.1 + 0.2).toFixed(5));
