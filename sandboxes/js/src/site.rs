//! Where a program started a host operation: captured cheaply at every call, written out only for the error it may end in.
//!
//! A failed tool call's error carries the program's stack at the call (`core.js`'s
//! `callSite`). Taking it as `new Error().stack` formatted every frame on every
//! call (function names, a walk of the line table per frame, printf), a tenth of
//! a one-call run for text that is read only when a call fails. QuickJS keeps no
//! lazy stack, so two of Sluice's additions to it
//! (`vendor/rquickjs-sys/quickjs/quickjs-sluice.c`) split the work: one keeps
//! each frame's function and bytecode offset, the other writes the text
//! `Error().stack` would have held.

#![allow(unsafe_code)]

use rquickjs::{Ctx, Error, Result, Value, qjs};

unsafe extern "C" {
    /// The frames from the innermost bytecode function's out, as an array of
    /// (function, offset) pairs; `Error.stackTraceLimit` applies.
    fn JS_SluiceCaptureSite(ctx: *mut qjs::JSContext) -> qjs::JSValue;
    /// The text `Error().stack` holds for the frames of a captured site.
    fn JS_SluiceFormatSite(ctx: *mut qjs::JSContext, site: qjs::JSValue) -> qjs::JSValue;
}

/// A QuickJS call's result: the value, or the exception it left pending.
fn taken<'js>(ctx: &Ctx<'js>, value: qjs::JSValue) -> Result<Value<'js>> {
    // SAFETY: inspecting a value's tag reads no memory.
    if unsafe { qjs::JS_IsException(value) } {
        return Err(Error::Exception);
    }
    // SAFETY: a new reference made in this context, handed to the `Value`.
    Ok(unsafe { Value::from_raw(ctx.clone(), value) })
}

/// `captureSite()`: the caller's stack, kept for [`format_site`].
pub fn capture_site<'js>(ctx: Ctx<'js>) -> Result<Value<'js>> {
    // SAFETY: a live context; the call only reads its stack frames.
    let site = unsafe { JS_SluiceCaptureSite(ctx.as_raw().as_ptr()) };
    taken(&ctx, site)
}

/// `formatSite(site)`: the stack's text (a `TypeError` for anything but a captured site).
pub fn format_site<'js>(ctx: Ctx<'js>, site: Value<'js>) -> Result<Value<'js>> {
    // SAFETY: a live context and a value of it, which the call only reads.
    let text = unsafe { JS_SluiceFormatSite(ctx.as_raw().as_ptr(), site.as_raw()) };
    taken(&ctx, text)
}
