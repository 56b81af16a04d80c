// TypeScript that needs code generation, which Sluice refuses.
enum Color {
  Red,
}
console.log(Color.Red);
