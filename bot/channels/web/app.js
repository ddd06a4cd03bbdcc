"use strict";
const log = document.getElementById("log");
const input = document.getElementById("text");
const URL_PATTERN = /(https?:\/\/[^\s，。；、）)]+)/g;

function addText(parent, text) {
  // text is never parsed as HTML: plain text nodes, and links built as anchors
  let last = 0;
  for (const match of text.matchAll(URL_PATTERN)) {
    parent.appendChild(document.createTextNode(text.slice(last, match.index)));
    const link = document.createElement("a");
    link.href = match[0];
    link.textContent = match[0];
    link.target = "_blank";
    link.rel = "noopener noreferrer";
    parent.appendChild(link);
    last = match.index + match[0].length;
  }
  parent.appendChild(document.createTextNode(text.slice(last)));
}

function show(text, who) {
  const bubble = document.createElement("div");
  bubble.className = "msg " + who;
  addText(bubble, text);
  log.appendChild(bubble);
  log.scrollTop = log.scrollHeight;
  return bubble;
}

function showButtons(buttons) {
  if (!buttons.length) return;
  const row = document.createElement("div");
  row.className = "buttons";
  for (const b of buttons) {
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = b.title;
    button.addEventListener("click", () => send(b.payload, b.title));
    row.appendChild(button);
  }
  log.appendChild(row);
  log.scrollTop = log.scrollHeight;
}

async function send(message, shown) {
  show(shown || message, "me");
  const typing = show("正在输入…", "bot typing");
  try {
    const response = await fetch("/chat/message", {
      method: "POST",
      headers: {"Content-Type": "application/json"},
      credentials: "same-origin",
      body: JSON.stringify({message}),
    });
    typing.remove();
    if (response.status === 429) {  // too many messages: the gateway says how long to wait
      const data = await response.json().catch(() => ({}));
      show(data.error || "消息发得太快了，请稍后再发。", "bot");
      return;
    }
    if (!response.ok) { show("发送失败，请稍后再试。", "bot"); return; }
    const data = await response.json();
    for (const reply of data.replies) {
      if (reply.text) show(reply.text, "bot");
      showButtons(reply.buttons || []);
    }
  } catch (error) {
    typing.remove();
    show("网络不稳定，请稍后再试。", "bot");
  }
}

document.getElementById("ask").addEventListener("submit", (event) => {
  event.preventDefault();
  const message = input.value.trim();
  if (!message) return;
  input.value = "";
  send(message);
});

// staff replies (after “转人工”) arrive in the session's inbox; the page asks for them now and then
async function pollInbox() {
  try {
    const response = await fetch("/chat/inbox", {credentials: "same-origin", cache: "no-store"});
    if (response.ok) {
      const data = await response.json();
      for (const message of data.messages || []) show(message.text, "bot staff");
    }
  } catch (error) {
    // offline for a moment: the messages wait in the inbox for the next poll
  }
  setTimeout(pollInbox, document.hidden ? 15000 : 4000);
}
setTimeout(pollInbox, 4000);

show("你好！我是北京市离校未就业高校毕业生就业服务助手。可以问我就业政策、求助途径、招聘渠道和各区服务机构，也可以在这里做求职登记。", "bot");
showButtons([{title: "政策清单", payload: "/ask_policy"}, {title: "求职登记", payload: "/register"}, {title: "我能做什么", payload: "/help"}]);
