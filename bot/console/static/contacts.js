// 联系跟进: loaded before app.js, which routes to showContacts and provides h, getJson, postJson.
"use strict";

async function showContacts() {
  return h("p", {class: "muted"}, "联系跟进：建设中");
}
