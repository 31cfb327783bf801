// Call-heavy JavaScript for bench/duktape.sh: recursion, closures, method
// calls, property access, string building, sorting with a comparator.
var N = 30;
function fib(n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }
function Point(x, y) { this.x = x; this.y = y; }
Point.prototype.add = function (o) { return new Point(this.x + o.x, this.y + o.y); };
var total = 0;
for (var r = 0; r < N; r++) {
  total += fib(20);
  var p = new Point(0, 0);
  for (var i = 0; i < 20000; i++) p = p.add(new Point(1, 2));
  total += p.x + p.y;
  var a = [];
  for (var i = 0; i < 5000; i++) a.push((i * 7919) % 5003);
  a.sort(function (u, v) { return u - v; });
  total += a[100];
  var s = [];
  for (var i = 0; i < 3000; i++) s.push('k' + i);
  total += s.join(',').length;
}
print(total);
