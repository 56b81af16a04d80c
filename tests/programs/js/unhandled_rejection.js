// A rejection nobody handles fails the run.
Promise.reject(new Error("nobody caught me"));
console.log("kept going");
