// Renders the Lumen rest-of-world privacy policy into #policy-root.
// The page's static HTML carries no policy text: only this script builds it.
(function () {
  "use strict";

  var POLICY = [
    {
      "type": "h1",
      "text": "Lumen Privacy Policy"
    },
    {
      "type": "p",
      "class": "last-updated",
      "text": "Last updated: 4 November 2024"
    },
    {
      "type": "p",
      "text": "This Privacy Policy describes how Lumen Labs Inc. (“Lumen”, “we”, “us” or “our”) collects, uses and shares information about you when you use the Lumen photo-sharing application and website (together, the “Platform”). It applies to users who live outside the United States and the European Economic Area. Depending on where you live, local data protection laws may give you additional rights, which we respect as described below."
    },
    {
      "type": "h2",
      "icon": true,
      "text": "Information We Collect"
    },
    {
      "type": "p",
      "text": "We collect the following types of information:"
    },
    {
      "type": "ul",
      "items": [
        "Account information, such as your name, username, password, date of birth, email address or phone number, and your profile photo.",
        "User Content, meaning the photos, videos, albums, captions, tags and comments you create or share on the Platform, including the metadata stored in your files.",
        "Messages you send and receive through the Platform.",
        "Payment information, if you purchase a subscription, which is processed by our payment providers.",
        "Usage information, such as the content you view, the accounts you follow, the features you use and your searches.",
        "Device information, such as your IP address, device model, operating system, app version, language settings and device identifiers.",
        "Location information, such as your approximate location based on your IP address and, if you allow it, your precise location.",
        "Information from cookies and similar technologies, and information that other users, partners and connected services provide about you."
      ]
    },
    {
      "type": "h2",
      "icon": true,
      "text": "How We Use Your Information"
    },
    {
      "type": "p",
      "text": "We use your information to provide and operate the Platform; to store your photos and show them to the people you choose; to personalize your feed and recommendations; to process payments; to communicate with you about your account and about changes to our services; to show you advertising and measure its performance; to keep the Platform safe by detecting and preventing fraud, spam and abuse; to develop and improve our products; and to comply with our legal obligations."
    },
    {
      "type": "h2",
      "icon": true,
      "text": "How We Share Your Information"
    },
    {
      "type": "p",
      "text": "Your public profile and the User Content you post publicly can be seen by anyone. We share information with service providers that help us run the Platform, such as hosting, payment, support and analytics providers; with advertising and measurement partners; with other companies in our corporate group; with law enforcement or other authorities where we are required to do so by law or where it is necessary to protect someone's safety; and with a buyer or successor in the event of a merger, acquisition or sale of assets. We do not sell your personal information."
    },
    {
      "type": "h2",
      "icon": true,
      "text": "International Transfers"
    },
    {
      "type": "p",
      "text": "Lumen Labs Inc. is based in the United States, and we and our service providers may process your information in the United States and in other countries whose data protection laws may differ from those of the country where you live. Where required by applicable law, we put in place appropriate safeguards, such as contractual commitments, to protect your information when it is transferred."
    },
    {
      "type": "h2",
      "icon": true,
      "text": "Data Retention"
    },
    {
      "type": "p",
      "text": "We keep your information for as long as necessary to provide the Platform and for the purposes described in this policy. When you delete a photo or your account, we delete the related information within 90 days, unless we need to keep it longer to comply with the law, resolve disputes or enforce our agreements."
    },
    {
      "type": "h2",
      "icon": true,
      "text": "Your Rights and Choices"
    },
    {
      "type": "p",
      "text": "You can access and update your account information, change who can see your photos, remove location information before posting, and turn off personalized advertising in the app settings. You can download a copy of your data or delete your account at any time. Depending on the laws of the country where you live, you may also have the right to request access to, correction of, or deletion of your personal information, to object to or restrict certain processing, and to withdraw any consent you have given. To make a request, contact us using the details below. We will respond in accordance with applicable law, and we may need to verify your identity first. You may also have the right to complain to your local data protection authority."
    },
    {
      "type": "h2",
      "icon": true,
      "text": "Security"
    },
    {
      "type": "p",
      "text": "We use technical and organizational measures designed to protect your information, including encryption in transit and access controls. However, no system is completely secure, and we cannot guarantee the security of information you send to us."
    },
    {
      "type": "h2",
      "icon": true,
      "text": "Children"
    },
    {
      "type": "p",
      "text": "Lumen is not intended for children under 13, or under the minimum age required by the laws of your country if that is higher. We do not knowingly collect personal information from children below that age, and if we learn that we have done so, we will delete it."
    },
    {
      "type": "h2",
      "icon": true,
      "text": "Changes to This Policy"
    },
    {
      "type": "p",
      "text": "We may update this Privacy Policy from time to time. If we make material changes, we will notify you through the Platform or by other means before the changes take effect, and we will update the “Last updated” date above."
    },
    {
      "type": "h2",
      "icon": true,
      "text": "Contact Us"
    },
    {
      "type": "p",
      "text": "If you have any questions about this Privacy Policy, please contact us at privacy@lumen.example, or write to Lumen Labs Inc., Attn: Privacy, 500 Harbor Street, Suite 400, San Francisco, CA 94107, United States."
    }
  ];

  function el(tag, text, className) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.appendChild(document.createTextNode(text));
    return node;
  }

  function render() {
    var root = document.getElementById("policy-root");
    if (!root || root.querySelector("article.policy")) return;
    var article = el("article", undefined, "policy");
    POLICY.forEach(function (block) {
      if (block.type === "ul") {
        var list = el("ul");
        block.items.forEach(function (item) { list.appendChild(el("li", item)); });
        article.appendChild(list);
        return;
      }
      var node = el(block.type, undefined, block["class"]);
      if (block.icon) {
        var icon = el("span", "\u25C6", "icon");
        icon.setAttribute("aria-hidden", "true");
        node.appendChild(icon);
        node.appendChild(document.createTextNode(" "));
      }
      node.appendChild(document.createTextNode(block.text));
      article.appendChild(node);
    });
    root.appendChild(article);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", render);
  } else {
    render();
  }
})();
